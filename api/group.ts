/** The API group and version of every open-local kind, old (NodeLocalStorage, ...) and new (OpenLocalCluster, ...). */
export const API_GROUP = 'csi.aliyun.com';
export const API_VERSION = 'v1alpha1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

/** The CSI driver name, kept from Open-Local so existing StorageClasses and PVs keep working. */
export const CSI_DRIVER_NAME = 'local.csi.aliyun.com';
